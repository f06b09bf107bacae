// Half 2 of the lab catalogue on its own local cluster (labs2); the other half runs in
// labs-local-1.test.ts at the same time. The harness and the split: labs-local.ts.
import { labsOnLocalCluster } from './labs-local'

labsOnLocalCluster(2, 'labs2')
