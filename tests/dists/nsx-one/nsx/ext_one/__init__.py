from .impl import WHAT
