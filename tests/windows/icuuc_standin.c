/* Stand-in for Windows' icuuc.dll (Windows 10 1903 and later), which Wine 8 lacks, so that
 * Qt6Core.dll loads under Wine in scripts/windows-bundle-wine.sh; never shipped. It exports
 * the functions Qt6Core imports; PyInstaller's hooks only ask QtCore for its paths, which
 * calls none of them. Each reports failure (no converter). */
#include <stddef.h>

#define NONE(name) void *name(void) { return NULL; }
NONE(ucnv_open)
NONE(ucnv_close)
NONE(UCNV_FROM_U_CALLBACK_SUBSTITUTE)
NONE(UCNV_TO_U_CALLBACK_SUBSTITUTE)
NONE(ucnv_reset)
NONE(ucnv_getMaxCharSize)
NONE(ucnv_getName)
NONE(ucnv_getToUCallBack)
NONE(ucnv_getFromUCallBack)
NONE(ucnv_setToUCallBack)
NONE(ucnv_setFromUCallBack)
NONE(ucnv_cbToUWriteUChars)
NONE(ucnv_toUnicode)
NONE(ucnv_cbFromUWriteUChars)
NONE(ucnv_toUCountPending)
NONE(ucnv_fromUCountPending)
NONE(ucnv_getStandardName)
NONE(ucnv_getAvailableName)
NONE(ucnv_countAvailable)
NONE(ucnv_fromUnicode)
