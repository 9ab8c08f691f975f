import { ReloadError } from '../../errors.js';
import type { Context } from '../context.js';
import type { ProcessRecord } from '../records/record.js';
import type { ReloadOptions, ReloadResult } from './reload.js';

export async function reloadCluster(_ctx: Context, record: ProcessRecord, _options: ReloadOptions): Promise<ReloadResult> {
  throw new ReloadError('RELOAD_FAILED', `cluster reload of '${record.name}' is not available yet`);
}
