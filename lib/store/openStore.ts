/**
 * Picks the ObjectStore adapter from a URL: `s3://bucket/prefix`, `file:///abs/path` or a
 * plain path, `memory://name`.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import type { AwsOptions } from '../aws/awsOptions.js';
import { AsthaError } from '../errors.js';
import { FsStore } from './fsStore.js';
import { MemoryStore } from './memoryStore.js';
import type { ObjectStore } from './objectStore.js';
import { S3Store, type S3StoreOptions } from './s3Store.js';

export interface OpenStoreOptions extends S3StoreOptions {
  /** Client settings for `s3://` URLs. */
  aws?: AwsOptions;
  /** A ready S3 client for `s3://` URLs (wins over `aws`). */
  s3Client?: S3Client;
}

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;

export function openStore(url: string, options: OpenStoreOptions = {}): ObjectStore {
  const scheme = SCHEME.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case undefined:
      return new FsStore(resolve(url));
    case 'file':
      return new FsStore(fileURLToPath(url));
    case 'memory':
      return MemoryStore.named(url.slice('memory://'.length) || 'default');
    case 's3':
      return openS3(url, options);
    default:
      throw new AsthaError(
        'unsupported_url',
        `unsupported object store URL ${JSON.stringify(url)}: use s3://bucket/prefix, file:///path, a path, or memory://name`,
        { details: { url } },
      );
  }
}

function openS3(url: string, options: OpenStoreOptions): S3Store {
  const parsed = new URL(url);
  if (parsed.hostname === '') {
    throw new AsthaError('unsupported_url', `S3 URL ${JSON.stringify(url)} names no bucket`, {
      details: { url },
    });
  }
  const prefix = decodeURIComponent(parsed.pathname);
  const { aws = {}, s3Client, ...storeOptions } = options;
  return new S3Store(parsed.hostname, prefix, s3Client ?? aws, storeOptions);
}
