// ES module entry of `clinic-portal`: the same objects as the CommonJS entry (./index.js).
import cjs from './index.js';

export const { Engine, ClinicPortalError, ERROR_CODES, version, provokePanic, provokePanicAsync, fhirOperationOutcome } = cjs;
export default cjs;
