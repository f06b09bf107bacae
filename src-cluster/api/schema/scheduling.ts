// Schema data for scheduling.k8s.io/v1 (PriorityClass). Field names and protobuf numbers
// follow upstream v1.32 (k8s.io/api/scheduling/v1).
import { bool, enumOf, f, int32, kind, string, type Struct } from './dsl'

export const structs: Struct[] = [
  kind(
    'scheduling.k8s.io',
    'v1',
    'PriorityClass',
    'io.k8s.api.scheduling.v1.PriorityClass',
    'Maps a class name to a pod priority; pods name it in spec.priorityClassName.',
    {
      value: f(2, int32, 'The priority pods of this class get; higher runs first. User classes may use up to 1000000000.', { required: true }),
      globalDefault: f(3, bool, 'Whether pods without a priorityClassName get this class (only one class may be the default).'),
      description: f(4, string, 'When to use this class.'),
      preemptionPolicy: f(
        5,
        enumOf('PreemptLowerPriority', 'Never'),
        'Whether pods of this class may evict lower-priority pods (default PreemptLowerPriority).',
        { ptr: true, default: 'PreemptLowerPriority' },
      ),
    },
  ),
]
