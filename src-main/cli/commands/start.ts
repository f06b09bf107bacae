import { clusterCommand } from './cluster-util';

export const startCommand = clusterCommand({
  name: 'start',
  summary: 'Start a stopped cluster (its objects are kept) and wait until it is Ready',
  usage: 'kubelab start NAME',
  flags: {},
  positional: 1,
  async run(manager, { positional }) {
    await manager.start(positional[0] as string);
    return 0;
  },
});
