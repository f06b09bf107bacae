// Labs: the format, loading and validation, Killercoda import, needs, and the runner the
// desktop backend and the `kubelab lab` CLI share.
export * from './types'
export { loadLab, loadCatalogue, validateIndex, workersForImageId, LabFormatError, type LabIssue, type CatalogueEntry } from './load'
export { importKillercoda, inferNeeds, inferImages, type ImportResult } from './killercoda'
export {
  detectFacts,
  readNodes,
  unmetNeeds,
  providerCapabilities,
  nodeAliases,
  hasImage,
  type ClusterFacts,
  type LabNode,
  type UnmetNeed,
  type NodeComponents,
} from './needs'
export { canonicalImage, hasStandIn, buildStandIns, type StandInTarball } from './images'
export { hostExecutor, sshExecutor, type ScriptExecutor, type ScriptRun, type ScriptResult, type NodeSessions } from './scripts'
export { ProgressStore, newProgress, substituteVars, runSummary, formatDuration, type LabProgress, type LabRunSummary } from './progress'
export { LabRunner, NeedsNotMetError, scriptEnv, labVars, type LabCluster, type CheckResult, type CheckOutcome, type StepView, type LabLog } from './runner'
export { kubectlFor, mustKubectl, type Kubectl, type KubectlResult } from './kubectl'
export { managedLabCluster, labsProgressDir, parseComponents, type ManagedLabCluster } from './cluster'
export { catalogueRoots, findLab } from './catalogue'
export { approveImportedScripts, assertScriptApproved, labScripts, ScriptNotApprovedError, IMPORT_RECORD } from './consent'
