// Starting points for "+ Create": the common kinds as small, valid YAML, in the chosen namespace.
export interface Template {
  kind: string
  /** The Resources type the created object is listed under. */
  type: string
  yaml: (namespace: string) => string
}

export const templates: Template[] = [
  {
    kind: 'Deployment',
    type: 'deployments',
    yaml: (ns) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: my-app
  namespace: ${ns}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: my-app
  template:
    metadata:
      labels:
        app: my-app
    spec:
      containers:
      - name: app
        image: nginx:1.27
        ports:
        - containerPort: 80
`,
  },
  {
    kind: 'Service',
    type: 'services',
    yaml: (ns) => `apiVersion: v1
kind: Service
metadata:
  name: my-app
  namespace: ${ns}
spec:
  selector:
    app: my-app
  ports:
  - port: 80
    targetPort: 80
`,
  },
  {
    kind: 'Pod',
    type: 'pods',
    yaml: (ns) => `apiVersion: v1
kind: Pod
metadata:
  name: my-pod
  namespace: ${ns}
spec:
  containers:
  - name: main
    image: busybox:1.36
    command: ["sh", "-c", "echo hello; sleep 3600"]
`,
  },
  {
    kind: 'ConfigMap',
    type: 'configmaps',
    yaml: (ns) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: my-config
  namespace: ${ns}
data:
  greeting: hello
`,
  },
  {
    kind: 'Secret',
    type: 'secrets',
    yaml: (ns) => `apiVersion: v1
kind: Secret
metadata:
  name: my-secret
  namespace: ${ns}
type: Opaque
stringData:
  password: change-me
`,
  },
  {
    kind: 'Job',
    type: 'jobs',
    yaml: (ns) => `apiVersion: batch/v1
kind: Job
metadata:
  name: my-job
  namespace: ${ns}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: busybox:1.36
        command: ["sh", "-c", "echo done"]
`,
  },
  {
    kind: 'CronJob',
    type: 'cronjobs',
    yaml: (ns) => `apiVersion: batch/v1
kind: CronJob
metadata:
  name: my-cronjob
  namespace: ${ns}
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
          - name: main
            image: busybox:1.36
            command: ["sh", "-c", "date"]
`,
  },
  {
    kind: 'Ingress',
    type: 'ingresses',
    yaml: (ns) => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: my-ingress
  namespace: ${ns}
spec:
  rules:
  - host: my-app.local
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: my-app
            port:
              number: 80
`,
  },
  {
    kind: 'PersistentVolumeClaim',
    type: 'persistentvolumeclaims',
    yaml: (ns) => `apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: my-claim
  namespace: ${ns}
spec:
  accessModes: ["ReadWriteOnce"]
  resources:
    requests:
      storage: 1Gi
`,
  },
  {
    kind: 'Namespace',
    type: 'namespaces',
    yaml: () => `apiVersion: v1
kind: Namespace
metadata:
  name: my-namespace
`,
  },
]
