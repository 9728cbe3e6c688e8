/* NVMe controllers. */
#pragma once

void nvme_init(void);
