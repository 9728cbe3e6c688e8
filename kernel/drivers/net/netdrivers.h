/* Network card drivers: each registers its PCI driver (devices probe as the bus finds them). */
#pragma once

void e1000_init(void);
struct net_device;
/*
 * For ktests: raises a link-status-change interrupt on an e1000/e1000e through ICS and waits
 * up to 2 s for the driver's handler. 1 delivered, 0 not, -ENODEV when dev is another driver's.
 */
int e1000_test_irq(struct net_device *dev);
void virtio_net_init(void);
