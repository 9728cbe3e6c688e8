/* AHCI SATA host controllers. */
#pragma once

void ahci_init(void);
