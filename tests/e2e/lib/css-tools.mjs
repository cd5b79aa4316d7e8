// The CSS tools the css-tools suite installs into the react-ts starter, exact versions: one
// `npm install` for every case (Tailwind CSS v4 both ways, Tailwind v3 under another name,
// Sass, Less, PostCSS with autoprefixer), cached like the starters (`lib/starters.mjs`).
export const CSS_TOOLS = {
  tailwindcss: '4.3.5',
  '@tailwindcss/vite': '4.3.5',
  '@tailwindcss/postcss': '4.3.5',
  // Tailwind v3 beside v4: a v3 case puts this directory at `node_modules/tailwindcss` in its copy.
  'tailwindcss-v3': 'npm:tailwindcss@3.4.9',
  sass: '1.108.2',
  less: '4.9.1',
  postcss: '8.5.34',
  autoprefixer: '10.7.1',
};
