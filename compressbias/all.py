"The public API in one import: `from compressbias.all import *`."
from .core import *
from .data import *
from .weights import *
from .prune import *
from .quantize import *
from .vog import *
from .forgetting import *
from .population import *
from .bias import *
from .viz import *
from .privacy import *
from .memorization import *
