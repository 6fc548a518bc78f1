import { createRoot } from 'react-dom/client'
import { App } from './App'
import { SessionProvider } from './session'
import './styles.css'
import { NoticeProvider } from './ui'

createRoot(document.getElementById('root')!).render(
  <NoticeProvider>
    <SessionProvider>
      <App />
    </SessionProvider>
  </NoticeProvider>,
)
