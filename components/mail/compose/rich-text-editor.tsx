"use client";

import { EditorContent, useEditor, useEditorState, type Editor } from "@tiptap/react";
import StarterKit from "@tiptap/starter-kit";
import { useEffect, useRef } from "react";

// The message body: TipTap (ProseMirror) with the formatting mail needs — bold, italic,
// underline, strike, lists, quotes, links, code — and a small toolbar. The HTML it produces is
// sanitized again on the server, which also writes the plain-text alternative from it.

const EDITOR_CLASS = [
  "min-h-40 px-3 py-2 text-sm leading-relaxed outline-none",
  "[&_p]:my-1 [&_ul]:my-1 [&_ul]:list-disc [&_ul]:pl-6 [&_ol]:my-1 [&_ol]:list-decimal [&_ol]:pl-6",
  "[&_blockquote]:my-1 [&_blockquote]:border-l-2 [&_blockquote]:border-slate-300 [&_blockquote]:pl-3 [&_blockquote]:text-slate-600",
  "dark:[&_blockquote]:border-slate-600 dark:[&_blockquote]:text-slate-300",
  "[&_a]:text-brand-600 [&_a]:underline [&_code]:rounded [&_code]:bg-slate-100 [&_code]:px-1 dark:[&_code]:bg-slate-800",
  "[&_pre]:rounded [&_pre]:bg-slate-100 [&_pre]:p-2 dark:[&_pre]:bg-slate-800 [&_h1]:text-xl [&_h1]:font-semibold [&_h2]:text-lg [&_h2]:font-semibold",
].join(" ");

export function RichTextEditor({
  initialHtml,
  version,
  onChange,
  label,
  autoFocus,
  onSubmitShortcut,
}: {
  initialHtml: string;
  /** Bumped when `initialHtml` replaces the content (a draft reloaded from the server). */
  version: number;
  onChange: (html: string) => void;
  label: string;
  autoFocus?: boolean;
  onSubmitShortcut?: () => void;
}) {
  const changeRef = useRef(onChange);
  const submitRef = useRef(onSubmitShortcut);
  useEffect(() => {
    changeRef.current = onChange;
    submitRef.current = onSubmitShortcut;
  });
  const editor = useEditor({
    extensions: [StarterKit.configure({ link: { openOnClick: false, autolink: true, protocols: ["mailto"], defaultProtocol: "https" }, heading: { levels: [1, 2] } })],
    content: initialHtml,
    immediatelyRender: false,
    autofocus: autoFocus ? "start" : false,
    editorProps: {
      attributes: { class: EDITOR_CLASS, role: "textbox", "aria-multiline": "true", "aria-label": label, "data-testid": "compose-body" },
      handleKeyDown: (_view, event) => {
        if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
          submitRef.current?.();
          return true;
        }
        return false;
      },
    },
    onUpdate: ({ editor }) => changeRef.current(editor.getHTML()),
  });

  const lastVersion = useRef(version);
  useEffect(() => {
    if (!editor || version === lastVersion.current) return;
    lastVersion.current = version;
    editor.commands.setContent(initialHtml, { emitUpdate: false });
  }, [editor, version, initialHtml]);

  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <div className="min-h-0 flex-1 overflow-y-auto">
        <EditorContent editor={editor} />
      </div>
      {editor ? <Toolbar editor={editor} /> : null}
    </div>
  );
}

function Toolbar({ editor }: { editor: Editor }) {
  const s = useEditorState({
    editor,
    selector: ({ editor: e }) => ({
      bold: e.isActive("bold"),
      italic: e.isActive("italic"),
      underline: e.isActive("underline"),
      strike: e.isActive("strike"),
      bullet: e.isActive("bulletList"),
      ordered: e.isActive("orderedList"),
      quote: e.isActive("blockquote"),
      link: e.isActive("link"),
    }),
  });
  const btn = (label: string, active: boolean, run: () => void, content: React.ReactNode) => (
    <button
      type="button"
      aria-label={label}
      title={label}
      aria-pressed={active}
      onMouseDown={(e) => e.preventDefault()}
      onClick={run}
      className={`flex size-7 items-center justify-center rounded text-sm ${active ? "bg-slate-200 dark:bg-slate-700" : "hover:bg-slate-100 dark:hover:bg-slate-800"}`}
    >
      {content}
    </button>
  );
  return (
    <div role="toolbar" aria-label="Formatting" className="flex flex-wrap items-center gap-0.5 border-t border-slate-100 px-2 py-1 text-slate-700 dark:border-slate-800 dark:text-slate-300">
      {btn("Bold (Ctrl+B)", s.bold, () => editor.chain().focus().toggleBold().run(), <b>B</b>)}
      {btn("Italic (Ctrl+I)", s.italic, () => editor.chain().focus().toggleItalic().run(), <i className="font-serif">I</i>)}
      {btn("Underline (Ctrl+U)", s.underline, () => editor.chain().focus().toggleUnderline().run(), <u>U</u>)}
      {btn("Strikethrough", s.strike, () => editor.chain().focus().toggleStrike().run(), <s>S</s>)}
      <span className="mx-1 h-4 w-px bg-slate-200 dark:bg-slate-700" />
      {btn("Bulleted list", s.bullet, () => editor.chain().focus().toggleBulletList().run(), "•")}
      {btn("Numbered list", s.ordered, () => editor.chain().focus().toggleOrderedList().run(), "1.")}
      {btn("Quote", s.quote, () => editor.chain().focus().toggleBlockquote().run(), "❝")}
      {btn(
        s.link ? "Remove link" : "Link",
        s.link,
        () => {
          if (s.link) {
            editor.chain().focus().unsetLink().run();
            return;
          }
          const url = window.prompt("Link to (https://…)");
          if (!url) return;
          const href = /^(https?:|mailto:)/i.test(url) ? url : `https://${url}`;
          if (editor.state.selection.empty) editor.chain().focus().insertContent(`<a href="${href.replace(/"/g, "&quot;")}">${href.replace(/</g, "&lt;")}</a>`).run();
          else editor.chain().focus().setLink({ href }).run();
        },
        <svg viewBox="0 0 24 24" className="size-4" fill="none" stroke="currentColor" strokeWidth={2} strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
          <path d="M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1" />
        </svg>,
      )}
      {btn("Clear formatting", false, () => editor.chain().focus().unsetAllMarks().clearNodes().run(), "T̸")}
    </div>
  );
}
