/* Network card drivers: each registers its PCI driver (devices probe as the bus finds them). */
#pragma once

void e1000_init(void);
void virtio_net_init(void);
