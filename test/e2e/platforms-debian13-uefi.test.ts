// The platform matrix on Debian 13 (kernel 6.12), UEFI (OVMF) and systemd-boot, no GRUB: see platforms.ts.
import { platformMatrix } from "./platforms";

jest.setTimeout(900_000);

platformMatrix("debian13-uefi");
