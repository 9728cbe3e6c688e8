/* epoll (eventpoll.c): the hook the VFS calls when a watched file goes. */
#pragma once

#include "fs/vfs.h"

/* The last reference to f is going: drops every epoll registration of it (f->ep_links). */
void eventpoll_release_file(struct file *f);
