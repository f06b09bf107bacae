#!/bin/sh
# mmdebstrap --customize-hook for the VM test image; $1 is the image's root (proc/sys/dev are
# mounted, so `chroot "$1"` works). Part of the recipe: its text is in the cache key. Why:
# - NoCloud only: cloud-init does not probe a dozen cloud metadata services (slow under TCG);
#   locale C.UTF-8 (built into glibc: nothing to generate, no `locales` error);
#   ed25519 + ecdsa host keys only (RSA generation takes long under TCG).
# - drivers for emulated devices nobody uses (kvm, parport, watchdog, …) blacklisted, unused
#   module trees (sound, GPU, wireless, media, …) removed; initramfs with just the disk drivers
#   a VM needs: small image, quick to load.
# - no SSH host keys and an empty machine-id: every VM made from the image gets its own
#   (cloud-init's ssh module makes keys; the drop-in makes one if cloud-init did not run).
# - periodic apt/e2scrub/fstrim jobs masked: under TCG they would eat the VM's CPU right when
#   KubeLab provisions it.
set -eu
R="$1"
LABEL="$2"
mkdir -p "$R/etc/cloud/cloud.cfg.d" "$R/etc/modprobe.d"
cat > "$R/etc/cloud/cloud.cfg.d/90-kubelab-test-image.cfg" <<'EOF'
datasource_list: [ NoCloud, None ]
ssh_genkeytypes: [ed25519, ecdsa]
locale: C.UTF-8
EOF
cat > "$R/etc/modprobe.d/kubelab-test-image.conf" <<'EOF'
# Devices a test VM has but never uses; loading their drivers costs seconds under TCG.
blacklist kvm
blacklist kvm_amd
blacklist kvm_intel
blacklist parport_pc
blacklist ppdev
blacklist pcspkr
blacklist iTCO_wdt
blacklist iTCO_vendor_support
blacklist lpc_ich
blacklist i2c_i801
blacklist powernow_k8
blacklist acpi_cpufreq
blacklist floppy
blacklist joydev
blacklist serio_raw
blacklist bochs
blacklist qxl
blacklist virtio_gpu
EOF
echo "LABEL=$LABEL / ext4 defaults,discard,errors=remount-ro 0 1" > "$R/etc/fstab"
printf '%s\n' virtio_pci virtio_blk virtio_scsi virtio_net sd_mod ahci ata_piix ext4 > "$R/etc/initramfs-tools/modules"
echo MODULES=list > "$R/etc/initramfs-tools/conf.d/kubelab-test-image"
for K in "$R"/lib/modules/*; do
  (cd "$K/kernel" && rm -rf sound drivers/gpu drivers/media drivers/net/wireless drivers/infiniband drivers/staging drivers/bluetooth drivers/isdn drivers/iio drivers/usb/gadget drivers/hid net/bluetooth net/wireless net/mac80211)
  chroot "$R" depmod -a "$(basename "$K")"
done
chroot "$R" update-initramfs -u -k all
rm -f "$R"/etc/ssh/ssh_host_*
mkdir -p "$R/etc/systemd/system/ssh.service.d"
cat > "$R/etc/systemd/system/ssh.service.d/kubelab-hostkeys.conf" <<'EOF'
[Service]
ExecStartPre=
ExecStartPre=/bin/sh -c 'ls /etc/ssh/ssh_host_*_key >/dev/null 2>&1 || ssh-keygen -q -t ed25519 -N "" -f /etc/ssh/ssh_host_ed25519_key'
ExecStartPre=/usr/sbin/sshd -t
EOF
systemctl --root="$R" mask apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer
systemctl --root="$R" enable systemd-networkd.service systemd-resolved.service
: > "$R/etc/machine-id"
rm -f "$R/var/lib/dbus/machine-id"
rm -rf "$R/usr/share/doc/"* "$R/usr/share/man/"* "$R/usr/share/info/"*
rm -rf "$R/var/cache/apt/archives/"*.deb "$R/var/lib/apt/lists/"*_Packages "$R/var/log/"*.log
