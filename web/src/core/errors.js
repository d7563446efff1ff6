// What to tell the user when something fails, from the client's error codes.

/** Failures that say the server is out of reach, not that what was asked is wrong. */
export const UNREACHABLE = ["CONNECTION_LOST", "BRIDGE_REFUSED", "TIMEOUT"];

/**
 * A sentence for a failed sign-in, naming what went wrong and what to do.
 * @param {{code?: string, message?: string}} error
 */
export function signInMessage(error) {
  const detail = error?.message ? ` (${error.message})` : "";
  switch (error?.code) {
    case "AUTH_FAILED":
      return "Wrong username or password. Check them and try again.";
    case "TLS_FAILED":
      return `A secure connection to the mail server could not be made: its certificate was not accepted${detail}. Ask your administrator.`;
    case "BRIDGE_REFUSED":
      return `The webmail service refused the connection${detail}.`;
    case "TIMEOUT":
      return `The mail server did not answer in time${detail}. Try again in a moment.`;
    case "CONNECTION_LOST":
      return `The mail server could not be reached${detail}. Check the server name, or try again later.`;
    case "INVALID_ARGUMENT":
      return error.message || "Check the sign-in details.";
    default:
      return `Sign-in failed${detail}.`;
  }
}

/**
 * A sentence for a message that was not sent, saying it is still there to send again.
 * @param {{code?: string, message?: string, limit?: number}} error
 */
export function sendMessage(error) {
  switch (error?.code) {
    case "CONNECTION_LOST":
    case "TIMEOUT":
      return "Not sent: the connection to the mail server was lost before it took the message. Send again to retry; it stays the same message.";
    case "MESSAGE_TOO_LARGE":
      return `Not sent: the message is larger than the mail server takes${error.limit ? ` (${Math.floor(error.limit / 1048576)} MB)` : ""}. Remove or shrink an attachment.`;
    case "RECIPIENT_REJECTED":
      return "Not sent: the mail server refused every recipient (see each address).";
    case "SENDER_REJECTED":
      return `Not sent: the mail server does not let you send from this address${error.message ? ` (${error.message})` : ""}.`;
    case "AUTH_FAILED":
      return "Not sent: the mail server did not accept your password for sending.";
    default:
      return actionMessage("Sending", error);
  }
}

/**
 * A sentence for a failed action ("Moving 3 messages failed: ...").
 * @param {string} what e.g. "Moving the messages"
 * @param {{code?: string, message?: string}} error
 */
export function actionMessage(what, error) {
  if (error?.code === "CONNECTION_LOST") return `${what} failed: the connection was lost. Check the folder once reconnected and try again if needed.`;
  if (error?.code === "NO_SUCH_MAILBOX") return `${what} failed: that folder no longer exists.`;
  return `${what} failed${error?.message ? `: ${error.message}` : "."}`;
}
