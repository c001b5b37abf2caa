/**
 * Ready-to-paste snippets that query a table astha wrote, for `astha show` and `astha start`.
 * Credentials are never printed: S3 snippets use the reader's own credential chain.
 */
export interface SnippetTarget {
  metadataLocation: string;
  /** S3 endpoint override (LocalStack), when the warehouse is on one. */
  s3Endpoint?: string;
  region?: string;
}

/** DuckDB reads local metadata by plain path; S3 by URI. */
function duckdbPath(location: string): string {
  return location.startsWith('file://') ? decodeURIComponent(new URL(location).pathname) : location;
}

export function duckdbSnippet(target: SnippetTarget): string {
  const lines = ['INSTALL iceberg; LOAD iceberg;'];
  if (target.metadataLocation.startsWith('s3://')) {
    lines.push('INSTALL httpfs; LOAD httpfs;');
    const options = ['TYPE s3', 'PROVIDER credential_chain'];
    if (target.region) options.push(`REGION '${target.region}'`);
    if (target.s3Endpoint) {
      const url = new URL(target.s3Endpoint);
      options.push(`ENDPOINT '${url.host}'`, "URL_STYLE 'path'", `USE_SSL ${url.protocol === 'https:'}`);
    }
    lines.push(`CREATE SECRET astha (${options.join(', ')});`);
  }
  lines.push(`SELECT count(*) FROM iceberg_scan('${duckdbPath(target.metadataLocation)}');`);
  return lines.join('\n');
}

export function pyicebergSnippet(target: SnippetTarget): string {
  const props: string[] = [];
  if (target.s3Endpoint)
    props.push(`"s3.endpoint": "${target.s3Endpoint}"`, '"s3.path-style-access": "true"');
  if (target.region && target.metadataLocation.startsWith('s3://'))
    props.push(`"s3.region": "${target.region}"`);
  const properties = props.length > 0 ? `, properties={${props.join(', ')}}` : '';
  return [
    'from pyiceberg.table import StaticTable',
    `table = StaticTable.from_metadata("${target.metadataLocation}"${properties})`,
    'print(table.scan().to_arrow())',
  ].join('\n');
}
