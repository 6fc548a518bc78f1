// Toolbar and app icons: inline SVG (no icon font, nothing fetched, nothing
// the Content-Security-Policy would have to allow). Drawn on a 20x20 grid.

const paths = {
  undo: 'M7 5 3 9l4 4M3 9h9a5 5 0 0 1 0 10h-2',
  redo: 'm13 5 4 4-4 4m4-4H8a5 5 0 0 0 0 10h2',
  bold: 'M6 4h5a3.5 3.5 0 0 1 0 7H6zm0 7h6a3.5 3.5 0 0 1 0 7H6z',
  italic: 'M12 4H8m4 0L8 16m-2 0h4M8 4h6',
  underline: 'M6 3v6a4 4 0 0 0 8 0V3M4 17h12',
  strike: 'M4 10h12M13.5 6.5C13 5 11.7 4 10 4 8 4 6.5 5 6.5 6.7c0 1.1.7 2 2 2.6m3.5 1.8c1.5.6 2.3 1.6 2.3 2.8 0 1.8-1.7 3.1-4.2 3.1-2 0-3.6-1-4.1-2.6',
  code: 'M7 6 3 10l4 4m6-8 4 4-4 4',
  link: 'M8.5 11.5a3.5 3.5 0 0 0 5 0l2.5-2.5a3.5 3.5 0 0 0-5-5l-1 1m1 4a3.5 3.5 0 0 0-5 0L3.5 11.5a3.5 3.5 0 0 0 5 5l1-1',
  bulletList: 'M8 5h9M8 10h9M8 15h9M4 5h.01M4 10h.01M4 15h.01',
  orderedList: 'M9 5h8M9 10h8M9 15h8M3.5 4 5 3v4M3.5 12.5c.3-.6.8-1 1.5-1s1.2.5 1.2 1.1c0 .9-2.7 1.9-2.7 3.4h2.7',
  taskList: 'M3 4h4v4H3zm1 9 1.3 1.3L8 11.5M10 6h7m-7 8h7',
  quote: 'M4 5v10M8 7h8M8 11h8M8 15h5',
  codeBlock: 'M3 4h14v12H3zm4 4-2 2 2 2m6-4 2 2-2 2m-2.5-5-1 6',
  rule: 'M3 10h14',
  table: 'M3 4h14v12H3zm0 4h14M3 12h14M8 4v12m4-12v12',
  rowAbove: 'M3 9h14v8H3zm0 4h14M10 2v5M7.5 4.5h5',
  rowBelow: 'M3 3h14v8H3zm0 4h14m-7 6v5m-2.5-2.5h5',
  colLeft: 'M9 3h8v14H9zm4 0v14M2 10h5M4.5 7.5v5',
  colRight: 'M3 3h8v14H3zm4 0v14m6-7h5m-2.5-2.5v5',
  rowDelete: 'M3 7h14v6H3zm4 1.5 3 3m0-3-3 3',
  colDelete: 'M7 3h6v14H7zm1.5 6 3 3m0-3-3 3',
  headerRow: 'M3 4h14v12H3zm0 4h14M3 4h14v4H3z',
  tableDelete: 'M3 4h14v12H3zm4 3 6 6m0-6-6 6',
  doc: 'M5 2h7l4 4v12H5zm7 0v4h4M8 10h5m-5 3h5',
  folder: 'M2 5.5V16h16V7H9.5l-2-2.5H2z',
  star: 'm10 2.5 2.3 4.8 5.2.7-3.8 3.6.9 5.2L10 14.3l-4.6 2.5.9-5.2-3.8-3.6 5.2-.7z',
  trash: 'M3 5h14M8 5V3h4v2m3 0-1 12H6L5 5m3 3v6m4-6v6',
  clock: 'M10 2.5a7.5 7.5 0 1 0 0 15 7.5 7.5 0 0 0 0-15zM10 6v4l3 2',
  home: 'M3 9.5 10 3l7 6.5M5 8v9h4v-5h2v5h4V8',
  menu: 'M3 5h14M3 10h14M3 15h14',
  plus: 'M10 4v12M4 10h12',
  share: 'M13 7a3 3 0 1 0 0-.01M7 13a3 3 0 1 0 0-.01M16 16a3 3 0 1 0 0-.01M9.7 11.6l3.6-2.2m-3.6 5 3.6 2.2',
  settings: 'M10 7a3 3 0 1 0 0 6 3 3 0 0 0 0-6zm6.5 3c0-.5 0-1-.2-1.4l1.6-1.3-1.6-2.8-2 .7a6 6 0 0 0-2.4-1.4L11.6 2H8.4l-.3 2a6 6 0 0 0-2.4 1.4l-2-.7-1.6 2.8 1.6 1.3a6 6 0 0 0 0 2.8l-1.6 1.3 1.6 2.8 2-.7a6 6 0 0 0 2.4 1.4l.3 2h3.2l.3-2a6 6 0 0 0 2.4-1.4l2 .7 1.6-2.8-1.6-1.3c.1-.4.2-.9.2-1.4z',
  check: 'm4 10 4 4 8-8',
  cloudOff: 'M3 3l14 14M6.5 7A4 4 0 0 0 5 14.5h8.5M15.5 14A3.5 3.5 0 0 0 13 8a5 5 0 0 0-4.5-2.5',
  lock: 'M5 9h10v8H5zm2 0V6a3 3 0 0 1 6 0v3',
  back: 'M12 4 6 10l6 6',
}

export type IconName = keyof typeof paths

export function Icon({ name, size = 18 }: { name: IconName; size?: number }) {
  return (
    <svg
      className="icon"
      width={size}
      height={size}
      viewBox="0 0 20 20"
      fill="none"
      stroke="currentColor"
      strokeWidth={1.6}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      <path d={paths[name]} />
    </svg>
  )
}
