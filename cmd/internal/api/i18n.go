package api

import "github.com/egate/egate/gate"

// Language is a kiosk language.
type Language struct {
	Code string `json:"code"`
	Name string `json:"name"` // in the language itself
}

// Languages are the kiosk's languages, the first the default.
var Languages = []Language{{"en", "English"}, {"es", "Español"}, {"fr", "Français"}}

// Text is one instruction on the kiosk: a short title and a line under it.
type Text struct {
	Title string `json:"title"`
	Sub   string `json:"sub"`
}

// Instructions are the kiosk's texts for each gate.Message, by language.
// Every message has every language (a test checks).
var Instructions = map[gate.Message]map[string]Text{
	gate.MsgPlaceDocument: {
		"en": {"Place your passport on the reader", "Photo page face down, against the corner"},
		"es": {"Coloque su pasaporte en el lector", "Página de la foto hacia abajo, contra la esquina"},
		"fr": {"Posez votre passeport sur le lecteur", "Page photo vers le bas, contre le coin"},
	},
	gate.MsgReading: {
		"en": {"Reading your passport", "Keep it on the reader"},
		"es": {"Leyendo su pasaporte", "Manténgalo en el lector"},
		"fr": {"Lecture de votre passeport", "Laissez-le sur le lecteur"},
	},
	gate.MsgStepIn: {
		"en": {"Step in", "Take your passport and walk in; the door closes behind you"},
		"es": {"Entre", "Recoja su pasaporte y entre; la puerta se cerrará detrás de usted"},
		"fr": {"Entrez", "Reprenez votre passeport et avancez ; la porte se ferme derrière vous"},
	},
	gate.MsgLookAtCamera: {
		"en": {"Look at the camera", "Stand still, remove hat and sunglasses"},
		"es": {"Mire a la cámara", "Quédese quieto, quítese el sombrero y las gafas de sol"},
		"fr": {"Regardez la caméra", "Restez immobile, retirez chapeau et lunettes de soleil"},
	},
	gate.MsgPleaseExit: {
		"en": {"Please exit", "Thank you, you may go through"},
		"es": {"Puede salir", "Gracias, puede pasar"},
		"fr": {"Vous pouvez sortir", "Merci, vous pouvez passer"},
	},
	gate.MsgGoBack: {
		"en": {"Please go back and see an officer", "Leave the gate the way you came in"},
		"es": {"Vuelva atrás y diríjase a un agente", "Salga de la puerta por donde entró"},
		"fr": {"Veuillez reculer et vous adresser à un agent", "Quittez le sas par où vous êtes entré"},
	},
	gate.MsgOnePerson: {
		"en": {"One person at a time", "Only one person may be in the gate"},
		"es": {"Una persona cada vez", "Solo puede haber una persona en la puerta"},
		"fr": {"Une personne à la fois", "Une seule personne peut se trouver dans le sas"},
	},
	gate.MsgSeeOfficer: {
		"en": {"Please see an officer", "An officer will help you"},
		"es": {"Diríjase a un agente", "Un agente le atenderá"},
		"fr": {"Veuillez vous adresser à un agent", "Un agent va vous aider"},
	},
	gate.MsgWait: {
		"en": {"Please wait", "The gate is getting ready"},
		"es": {"Espere, por favor", "La puerta se está preparando"},
		"fr": {"Veuillez patienter", "Le sas se prépare"},
	},
	gate.MsgLaneClosed: {
		"en": {"Gate closed", "Please use another gate"},
		"es": {"Puerta cerrada", "Utilice otra puerta"},
		"fr": {"Sas fermé", "Veuillez utiliser un autre sas"},
	},
	gate.MsgEmergency: {
		"en": {"Emergency: leave the gate", "Doors are open, walk out calmly"},
		"es": {"Emergencia: salga de la puerta", "Las puertas están abiertas, salga con calma"},
		"fr": {"Urgence : quittez le sas", "Les portes sont ouvertes, sortez calmement"},
	},
	gate.MsgMaintenance: {
		"en": {"Out of service", "Maintenance in progress, please use another gate"},
		"es": {"Fuera de servicio", "Mantenimiento en curso, utilice otra puerta"},
		"fr": {"Hors service", "Maintenance en cours, veuillez utiliser un autre sas"},
	},
}

// chrome are the kiosk's other words, by language.
var chrome = map[string]map[string]string{
	"en": {"language": "Language", "offline": "Connecting to the gate…", "lang_attr": "en"},
	"es": {"language": "Idioma", "offline": "Conectando con la puerta…", "lang_attr": "es"},
	"fr": {"language": "Langue", "offline": "Connexion au sas…", "lang_attr": "fr"},
}

// instruction returns the text for msg in lang, falling back to the default
// language and then to the "please wait" text for an unknown message.
func instruction(msg gate.Message, lang string) Text {
	t, ok := Instructions[msg]
	if !ok {
		t = Instructions[gate.MsgWait]
	}
	if x, ok := t[lang]; ok {
		return x
	}
	return t[Languages[0].Code]
}

func langOK(code string) bool {
	for _, l := range Languages {
		if l.Code == code {
			return true
		}
	}
	return false
}
