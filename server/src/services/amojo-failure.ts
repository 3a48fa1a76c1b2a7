import { AmojoApiError, AmojoError, AmojoHttpError } from '@amochan/amojo';
import { AppError } from '../lib/errors';

/**
 * An amojo failure during a widget call becomes 502 amojo_error carrying what amojo said, so the
 * widget (and the person clicking) sees the real reason, e.g. an invalid signature = wrong secret.
 */
export function amojoFailure(action: string, err: unknown): AppError {
  if (err instanceof AppError) return err;
  const details: Record<string, unknown> = {};
  if (err instanceof AmojoError) details.amojo_code = err.code;
  if (err instanceof AmojoHttpError) details.amojo_status = err.status;
  if (err instanceof AmojoApiError) {
    if (err.errorType !== undefined) details.amojo_error_type = err.errorType;
    if (err.errorDescription !== undefined) details.amojo_error_description = err.errorDescription;
  }
  const said = err instanceof Error ? err.message : String(err);
  return new AppError('amojo_error', `amojo ${action} failed: ${said}`, { cause: err, details });
}

/** amojo no longer knows the account (already disconnected on its side, e.g. by an uninstall). */
export const isAmojoNotFound = (err: unknown): boolean =>
  err instanceof AmojoHttpError && (err.code === 'not_found' || err.status === 404);
