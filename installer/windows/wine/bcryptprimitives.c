/* Only for running the Windows build under wine 8.0, never shipped: Windows 10 has
 * bcryptprimitives.dll, wine 8.0 does not, and Rust-built modules (pydantic_core,
 * cryptography) import ProcessPrng from it. Random bytes from the system's RNG. */
#include <windows.h>
#include <bcrypt.h>

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    (void)instance; (void)reason; (void)reserved;
    return TRUE;
}

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size)
{
    while (size > 0) {
        ULONG chunk = size > 0x40000000 ? 0x40000000 : (ULONG)size;
        if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
            return FALSE;
        data += chunk;
        size -= chunk;
    }
    return TRUE;
}
