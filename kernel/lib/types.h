/* Basic kernel types: fixed-width integers, physical vs virtual addresses. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t paddr_t; /* a physical address */
typedef uint64_t vaddr_t; /* a virtual address, as an integer */
typedef int64_t ssize_t;
