import { AsthaError, type AsthaErrorOptions } from '../errors.js';

/**
 * Why a Parquet file cannot be read or mapped to Iceberg. Never retryable: the bytes will not
 * change by reading them again (a store failure surfaces as the store's own error instead).
 */
export type ParquetErrorCode =
  /** The object has zero bytes. */
  | 'empty_file'
  /** The trailing magic is not `PAR1` and the file does not start with it either. */
  | 'not_parquet'
  /** Starts like Parquet but is cut short (no trailing magic, or too small for a footer). */
  | 'truncated'
  /** The footer length points before the start of the file. */
  | 'footer_out_of_range'
  /** The footer's Thrift structure cannot be decoded or is inconsistent. */
  | 'corrupt_footer'
  /** A column whose Parquet type has no lossless Iceberg type. */
  | 'unsupported_type'
  /** Pages compressed with a codec astha cannot decompress (LZO). */
  | 'unsupported_codec'
  /** The footer is readable but the data pages are not (see verifyParquetData). */
  | 'corrupt_data'
  /** The file asks registration to allocate more than one file may (a huge footer or page). */
  | 'too_large';

export class ParquetError extends AsthaError {
  declare readonly code: ParquetErrorCode;
  constructor(code: ParquetErrorCode, message: string, options: Omit<AsthaErrorOptions, 'retryable'> = {}) {
    super(code, message, { ...options, retryable: false });
  }
}
