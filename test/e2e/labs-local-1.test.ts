// Half 1 of the lab catalogue on its own local cluster (labs1); the other half runs in
// labs-local-2.test.ts at the same time. The harness and the split: labs-local.ts.
import { labsOnLocalCluster } from './labs-local'

labsOnLocalCluster(1, 'labs1')
