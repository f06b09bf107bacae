import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import { api } from './api'
import './styles.css'

createApp(App).use(createPinia()).mount('#app')
// Listeners are registered during setup; only now may the backend flush queued events.
api.ready()
