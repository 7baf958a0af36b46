"""PyInstaller runtime hook: an empty ``PySide6.QtOpenGL`` for pyqtgraph.

The bundle leaves out PySide6's QtOpenGL binding (8.5 MiB on Linux). pyqtgraph
imports it when it loads (``graphicsItems/PlotCurveItem.py``,
``Qt/OpenGLHelpers.py``) but calls it only to draw curves with OpenGL, which
jsdesk never turns on (``useOpenGL``/``enableExperimental`` stay off; the charts are
bar graphs drawn by QPainter). The empty module lets the import succeed; any use
would fail at once with an AttributeError rather than draw something else. Qt's
C++ OpenGL library stays: QtOpenGLWidgets needs it.
"""

import sys
import types

sys.modules.setdefault("PySide6.QtOpenGL", types.ModuleType("PySide6.QtOpenGL"))
