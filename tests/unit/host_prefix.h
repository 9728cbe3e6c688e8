/*
 * Forced into every kernel source compiled for a host unit test: renames the kernel's libc-named
 * functions so they neither clash with the host libc nor get replaced by it.
 */
#pragma once
#define memcpy    kern_memcpy
#define memmove   kern_memmove
#define memset    kern_memset
#define memcmp    kern_memcmp
#define memchr    kern_memchr
#define strlen    kern_strlen
#define strnlen   kern_strnlen
#define strcmp    kern_strcmp
#define strncmp   kern_strncmp
#define strchr    kern_strchr
#define strrchr   kern_strrchr
#define strlcpy   kern_strlcpy
#define strlcat   kern_strlcat
#define vsnprintf kern_vsnprintf
#define snprintf  kern_snprintf
