/* Force-included (gcc -include) when SQLite and CPython are built in the Debian 11 root, so
 * that they run on glibc 2.28 (UOS 20) as well: glibc 2.29 gave exp, exp2, log, log2 and pow
 * new symbol versions (faster, same results for finite input); bind to the older ones. */
#if defined(__x86_64__)
#define HALLCLIENT_LIBM_BASE "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define HALLCLIENT_LIBM_BASE "GLIBC_2.17"
#endif
#ifdef HALLCLIENT_LIBM_BASE
__asm__(".symver exp,exp@" HALLCLIENT_LIBM_BASE);
__asm__(".symver exp2,exp2@" HALLCLIENT_LIBM_BASE);
__asm__(".symver log,log@" HALLCLIENT_LIBM_BASE);
__asm__(".symver log2,log2@" HALLCLIENT_LIBM_BASE);
__asm__(".symver pow,pow@" HALLCLIENT_LIBM_BASE);
#endif
