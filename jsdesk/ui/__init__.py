"""The Qt user interface. The only package that imports PySide6.

``jsdesk.ui.app.run_gui`` is the entry point. This package file imports nothing, so
a command that needs one Qt module (``jsdesk report --format pdf`` draws with
``jsdesk.ui.report_pdf``) does not load the windows.
"""
