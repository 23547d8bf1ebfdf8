import { useId, type InputHTMLAttributes } from "react";

export interface TextFieldProps extends InputHTMLAttributes<HTMLInputElement> {
  label: string;
}

/** A labelled text input. */
export function TextField({ label, id, className = "", ...props }: TextFieldProps) {
  const generatedId = useId();
  const inputId = id ?? generatedId;
  return (
    <div className="flex flex-col gap-1.5">
      <label htmlFor={inputId} className="text-sm font-medium text-slate-700 dark:text-slate-300">
        {label}
      </label>
      <input
        id={inputId}
        className={
          "h-10 rounded-lg border border-slate-300 bg-white px-3 text-sm text-slate-900 shadow-sm " +
          "placeholder:text-slate-400 focus:border-brand-500 focus:outline-none focus:ring-2 " +
          "focus:ring-brand-500/30 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100 " +
          className
        }
        {...props}
      />
    </div>
  );
}
