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

/** A table (or the whole catalog) as engines reach it through astha's REST catalog. */
export interface CatalogTarget {
  /** The catalog URI (`http://127.0.0.1:8181`). */
  uri: string;
  /** The warehouse URL: an S3 warehouse needs the reader's S3 settings. */
  warehouseUrl: string;
  aws: { region?: string; endpoint?: string };
  /** A table to query; else a listing. */
  table?: { namespace: string; name: string };
  /** A bearer token is required (never printed: the snippets read it from the environment). */
  tokenRequired?: boolean;
}

const CATALOG_NAME = 'astha';

export function duckdbCatalogSnippet(target: CatalogTarget): string {
  const lines = ['INSTALL iceberg; LOAD iceberg;'];
  if (target.warehouseUrl.startsWith('s3://')) {
    lines.push('INSTALL httpfs; LOAD httpfs;');
    const options = ['TYPE s3', 'PROVIDER credential_chain'];
    if (target.aws.region) options.push(`REGION '${target.aws.region}'`);
    if (target.aws.endpoint) {
      const url = new URL(target.aws.endpoint);
      options.push(`ENDPOINT '${url.host}'`, "URL_STYLE 'path'", `USE_SSL ${url.protocol === 'https:'}`);
    }
    lines.push(`CREATE SECRET astha_s3 (${options.join(', ')});`);
  }
  const auth = target.tokenRequired ? "TOKEN '<ASTHA_CATALOG_TOKEN>'" : "AUTHORIZATION_TYPE 'none'";
  lines.push(
    `ATTACH '${CATALOG_NAME}' AS ${CATALOG_NAME} (TYPE iceberg, ENDPOINT '${target.uri}', ${auth});`,
  );
  lines.push(
    target.table
      ? `SELECT count(*) FROM ${CATALOG_NAME}.${target.table.namespace}.${target.table.name};`
      : 'SHOW ALL TABLES;',
  );
  return lines.join('\n');
}

export function pyicebergCatalogSnippet(target: CatalogTarget): string {
  const props = [`"type": "rest"`, `"uri": "${target.uri}"`];
  if (target.tokenRequired) props.push('"token": os.environ["ASTHA_CATALOG_TOKEN"]');
  const lines = [
    ...(target.tokenRequired ? ['import os'] : []),
    'from pyiceberg.catalog import load_catalog',
    `catalog = load_catalog("${CATALOG_NAME}", **{${props.join(', ')}})`,
  ];
  if (target.table) {
    lines.push(`table = catalog.load_table("${target.table.namespace}.${target.table.name}")`);
    lines.push('print(table.scan().to_arrow())');
  } else lines.push('print(catalog.list_namespaces())');
  return lines.join('\n');
}

/** Spark and Trino read the catalog from configuration, not code. */
export function engineCatalogSettings(target: CatalogTarget): string {
  const name = CATALOG_NAME;
  return [
    `Spark:  --conf spark.sql.catalog.${name}=org.apache.iceberg.spark.SparkCatalog`,
    `        --conf spark.sql.catalog.${name}.type=rest --conf spark.sql.catalog.${name}.uri=${target.uri}`,
    `Trino:  connector.name=iceberg, iceberg.catalog.type=rest, iceberg.rest-catalog.uri=${target.uri}`,
  ].join('\n');
}

/** Everything, catalog way first: DuckDB, PyIceberg, Spark and Trino settings. */
export function catalogSnippets(target: CatalogTarget): string {
  return [
    'query it with DuckDB:',
    indent(duckdbCatalogSnippet(target)),
    'or PyIceberg:',
    indent(pyicebergCatalogSnippet(target)),
    'or Spark / Trino (Iceberg REST catalog):',
    indent(engineCatalogSettings(target)),
  ].join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
