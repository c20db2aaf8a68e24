// Named errors for the engine. Native errors arrive as plain Errors carrying a `code`
// (native/addon/errors.h); mapNativeError turns them into these classes in one place.

export class ParleyError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

export class InvalidArgumentError extends ParleyError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_PARLEY_INVALID_ARGUMENT', message, options);
  }
}

export class InvalidStateError extends ParleyError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_PARLEY_INVALID_STATE', message, options);
  }
}

export class UnsupportedError extends ParleyError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_PARLEY_UNSUPPORTED', message, options);
  }
}

export class CodecError extends ParleyError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_PARLEY_CODEC', message, options);
  }
}

const byCode: Record<string, new (message: string, options?: ErrorOptions) => ParleyError> = {
  ERR_PARLEY_INVALID_ARGUMENT: InvalidArgumentError,
  ERR_PARLEY_INVALID_STATE: InvalidStateError,
  ERR_PARLEY_UNSUPPORTED: UnsupportedError,
  ERR_PARLEY_CODEC: CodecError,
};

export function mapNativeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const code = (error as Error & { code?: unknown }).code;
  const ErrorClass = typeof code === 'string' ? byCode[code] : undefined;
  return ErrorClass ? new ErrorClass(error.message, { cause: error }) : error;
}

// Runs a native call and rethrows its error as the matching ParleyError.
export function callNative<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw mapNativeError(error);
  }
}
