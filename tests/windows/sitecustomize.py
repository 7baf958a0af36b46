# Installed into the Windows Python that runs the Windows tests under Wine
# (scripts/windows-tests-wine.sh), never into jsdesk or its bundle.
# Wine 8 lacks kernel32's CopyFile2, which shutil.copy2 calls from Python 3.12 on (an
# unimplemented function ends the process); without it shutil copies the bytes itself.
import _winapi

del _winapi.CopyFile2
