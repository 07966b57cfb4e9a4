"""pytest setup: makes python/tests importable (for helpers.py) without putting python/ itself on
sys.path, so the tests always exercise the installed srekit package, never the source tree."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
