// Object types these controllers handle: kubernetes-types shapes usable where the client and
// informers expect a KubeObject.
