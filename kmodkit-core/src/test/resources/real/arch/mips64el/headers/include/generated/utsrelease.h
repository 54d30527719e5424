#define UTS_RELEASE "6.1.0-50-mips64r2el"
