"""A package with submodules, relative imports and a subpackage."""
from .sub import leaf

VALUE = leaf.LEAF * 2
