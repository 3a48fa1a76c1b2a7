import type { RequestHandler } from 'express';
import { AppError } from '../lib/errors';

/** Unknown routes answer in the same error shape as everything else, never express's HTML page. */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new AppError('not_found', `no route for ${req.method} ${req.path}`));
};
