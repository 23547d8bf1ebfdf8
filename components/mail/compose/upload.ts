"use client";

import { ApiError, goToSignIn } from "../api";
import type { DraftView } from "./types";

// An attachment upload with progress: XMLHttpRequest (fetch reports no upload progress), the
// draft's current state and the file as multipart/form-data; the answer is the draft as saved
// with the file in it.

export function uploadAttachment(input: { draft: unknown; file: File; onProgress: (fraction: number) => void; signal?: AbortSignal }): Promise<DraftView> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/mail/drafts/attachments");
    xhr.responseType = "json";
    xhr.setRequestHeader("accept", "application/json");
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) input.onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      const body = xhr.response as { draft?: DraftView; error?: { code?: string; message?: string } } | null;
      if (xhr.status === 401) {
        goToSignIn();
        reject(new ApiError(401, "UNAUTHORIZED", "Your session has ended; sign in again."));
      } else if (xhr.status >= 200 && xhr.status < 300 && body?.draft) {
        input.onProgress(1);
        resolve(body.draft);
      } else {
        reject(new ApiError(xhr.status, body?.error?.code ?? "INTERNAL", body?.error?.message ?? `Upload failed (${xhr.status}).`));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, "OFFLINE", "Pigeon cannot be reached. Check your connection."));
    xhr.onabort = () => reject(new ApiError(0, "ABORTED", "Upload cancelled."));
    input.signal?.addEventListener("abort", () => xhr.abort());
    const form = new FormData();
    form.set("draft", JSON.stringify(input.draft));
    form.set("file", input.file, input.file.name);
    xhr.send(form);
  });
}
