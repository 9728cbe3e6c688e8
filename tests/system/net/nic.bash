# Sourced by the network system tests (after lib.sh): which NIC model a run uses. The e1000_*
# scripts are the suite; the virtio_net_* (and e1000e_*) scripts set NIC_MODEL and source the
# same script, so every driver passes the same checks. Not a test itself (no .sh suffix).
NIC_MODEL=${NIC_MODEL:-e1000}
# Extra device properties, e.g. ",vectors=0" (a virtio device without MSI-X: INTx).
NIC_OPTS=${NIC_OPTS:-}
# Per-script log names, so that two runs of one body do not share a log.
NIC_RUN=$(basename "$0" .sh)

# nic_probe_re PCI-ADDRESS-RE: the driver's probe line for eth0 with the link up.
nic_probe_re() {
	case $NIC_MODEL in
	e1000) echo "e1000: $1: eth0, (INTx|MSI), link up" ;;
	e1000e) echo "e1000e: $1: eth0, (INTx|MSI|MSI-X), link up" ;;
	virtio-net-pci) echo "virtio-net: $1: eth0 \[1af4:10(00|41)\], (MSI-X|INTx), queues [0-9]+/[0-9]+, link up" ;;
	*) echo "unknown NIC model $NIC_MODEL" ;;
	esac
}
