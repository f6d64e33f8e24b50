from .. import constants

LEAF = constants.BASE + 1
