/* IDE (PATA) on Intel PIIX controllers. */
#pragma once

void ata_piix_init(void);
