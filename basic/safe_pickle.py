"""Read pickles without running code: numpy arrays and dtypes, plain containers, and torch tensors only.

A pickle names the functions that rebuild its objects, and ``pickle.load`` calls whatever it names: a
planted file runs code. Every pickle this package reads (the reference's feature pickles, the LAION mean,
the synthetic set) goes through :class:`RestrictedUnpickler`, which allows only

- numpy: ``ndarray``, ``dtype`` and the helpers numpy pickles arrays and scalars with;
- plain containers and values: dict, list, tuple, set, OrderedDict, str, bytes, numbers;
- torch tensors as ``pickle.dump`` writes them (the reference's LAION means): the tensor's bytes are read
  by ``torch.load(..., weights_only=True)``, torch's own restricted loader.

Anything else is refused with :class:`UnsafePickleError` naming the file and what it asked for.
"""
from __future__ import annotations

import io
import os
import pickle
from pathlib import Path

import numpy as np

_NUMPY = {
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
}
_PLAIN = {("builtins", name) for name in ("dict", "list", "tuple", "set", "frozenset", "bytearray", "bytes",
                                          "str", "int", "float", "complex", "bool")}
_PLAIN |= {("collections", "OrderedDict"), ("_codecs", "encode")}


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle asked for something other than arrays and plain containers; it was not loaded."""


def _tensor_from_bytes(data: bytes):
    import torch
    return torch.load(io.BytesIO(data), weights_only=True)


class RestrictedUnpickler(pickle.Unpickler):
    """An Unpickler whose ``find_class`` allows only the names listed in this module."""

    def __init__(self, file, source: str = "the pickle"):
        super().__init__(file)
        self.source = source

    def find_class(self, module, name):
        if (module, name) in _NUMPY:
            if hasattr(np, "_core"):        # numpy 2 reads numpy 1 pickles, and the other way round
                module = module.replace("numpy.core", "numpy._core")
            else:
                module = module.replace("numpy._core", "numpy.core")
            return super().find_class(module, name)
        if (module, name) in _PLAIN:
            return super().find_class(module, name)
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            import torch._utils
            return torch._utils._rebuild_tensor_v2
        if (module, name) == ("torch.storage", "_load_from_bytes"):
            return _tensor_from_bytes
        raise UnsafePickleError(
            f"{self.source} asks to run {module}.{name} while loading; only numpy arrays, plain containers "
            "and torch tensors are read, so it was not loaded. Re-create the file from arrays, or check where "
            "it came from")


def load(path: str | os.PathLike):
    """Unpickle the file at ``path`` with :class:`RestrictedUnpickler`; errors name the file."""
    path = Path(path)
    with open(path, "rb") as f:
        return loads_from(f, str(path))


def loads_from(file, source: str):
    """Unpickle from an open binary file; a truncated or garbage pickle raises UnpicklingError naming ``source``."""
    try:
        return RestrictedUnpickler(file, source).load()
    except UnsafePickleError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError,
            UnicodeDecodeError, RuntimeError) as error:
        raise pickle.UnpicklingError(f"{source} is not a readable pickle (truncated or not a pickle?): "
                                     f"{type(error).__name__}: {error}") from None


def load_npy(path: str | os.PathLike) -> np.ndarray:
    """``np.load`` of a .npy file whose object arrays (e.g. a saved dict) are unpickled the restricted way."""
    path = Path(path)
    with open(path, "rb") as f:
        try:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
            else:
                shape, fortran, dtype = np.lib.format._read_array_header(f, version)
        except (ValueError, EOFError, OSError) as error:
            raise ValueError(f"{path} is not a .npy file (truncated, or another format): {error}") from None
        if not dtype.hasobject:
            f.seek(0)
            try:
                return np.load(f, allow_pickle=False)
            except (ValueError, EOFError, OSError) as error:
                raise ValueError(f"{path} is a truncated or damaged .npy file: {error}") from None
        array = loads_from(f, str(path))
    if not isinstance(array, np.ndarray):
        raise ValueError(f"{path} holds a {type(array).__name__}, not a numpy array")
    return array
