// The core controllers of the controller manager: endpoints, namespaces, garbage collection,
// service accounts, volumes, node lifecycle, taint eviction, pod GC and node IPAM.
import type { Controller } from '../framework'
import { EndpointsController } from './endpoints'
import { EndpointSliceController } from './endpointslice'
import { GarbageCollector } from './garbage-collector'
import { NamespaceController } from './namespace'
import { NodeIpamController } from './node-ipam'
import { NodeLifecycleController } from './node-lifecycle'
import { PodGarbageCollector } from './pod-gc'
import { ResourceQuotaController } from './resource-quota'
import { ServiceAccountController } from './serviceaccount'
import { TaintManager } from './taint-manager'
import { VolumeBinderController } from './volume-binder'

export { EndpointsController, buildSubsets } from './endpoints'
export { EndpointSliceController, desiredSlices } from './endpointslice'
export { GarbageCollector, OwnerGraph, GC_RESOURCES } from './garbage-collector'
export { NamespaceController } from './namespace'
export { NodeIpamController } from './node-ipam'
export { NodeLifecycleController } from './node-lifecycle'
export { PodGarbageCollector } from './pod-gc'
export { ResourceQuotaController } from './resource-quota'
export { ServiceAccountController } from './serviceaccount'
export { TaintManager } from './taint-manager'
export { VolumeBinderController } from './volume-binder'
export { CidrAllocator } from './cidr'

/** Fresh instances of every core controller (controllers hold state: make new ones per manager). */
export function coreControllers(): Controller[] {
  return [
    new NodeIpamController(),
    new NodeLifecycleController(),
    new TaintManager(),
    new PodGarbageCollector(),
    new NamespaceController(),
    new GarbageCollector(),
    new ServiceAccountController(),
    new EndpointsController(),
    new EndpointSliceController(),
    new VolumeBinderController(),
    new ResourceQuotaController(),
  ]
}
