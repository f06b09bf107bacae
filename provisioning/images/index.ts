// Offline images: build OCI tarballs from a root filesystem and load them into containerd.
export { buildImage, writeImage, checkImageName, ociArch, MEDIA, type ImageSpec, type BuiltImage } from './build'
export { buildLayer, entriesFromDir, type RootfsEntry } from './layer'
export { busyboxRootfs, busyboxApplets, REQUIRED_APPLETS, HOST_BUSYBOX, type BusyboxRootfsOptions } from './busybox'
export { busyboxImageSpec, pauseImageSpec, BUSYBOX_IMAGE, PAUSE_IMAGE } from './standard'
export { loadImage, runImageLoad, type LoadOptions, type LoadResult } from './load'
