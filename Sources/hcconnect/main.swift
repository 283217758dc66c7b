import HCConnectCLI

#if canImport(Glibc)
    import Glibc
#endif

exit(HCConnect.main())
