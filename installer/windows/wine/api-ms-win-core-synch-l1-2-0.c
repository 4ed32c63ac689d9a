/* Only for running the Windows build under wine 8.0, never shipped: the API set that
 * Windows 10 resolves to kernelbase, which wine 8.0 lacks; its .def forwards there. */
#include <windows.h>

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    (void)instance; (void)reason; (void)reserved;
    return TRUE;
}
